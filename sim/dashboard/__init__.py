"""The what-if page for strategists: session.py does the work, app.py lays it out, charts.py draws."""
