"""Tools that maintain the repository (generated docs); not part of the runtime package."""
