"""Interactive widgets: thin layers over plain functions (ipywidgets 7.7.1 and 8.x)."""
