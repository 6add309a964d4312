"""What people read: the comparison report (Markdown/HTML), plots, catalogue listings."""
