"""The tabs and panes of the main window, one module per tab, named after it."""
