"""The Inside tab's views, one module each; inside_panel.py puts them in a row of tabs."""
