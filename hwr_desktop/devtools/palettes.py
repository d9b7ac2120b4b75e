"""A dark palette like a desktop's dark theme, for the dark-mode tests and screenshots (the app
itself never sets a palette: it follows the system's)."""
from PySide6.QtGui import QColor, QPalette


def dark_palette() -> QPalette:
    p = QPalette()
    role = QPalette.ColorRole
    for r, colour in ((role.Window, (45, 45, 48)), (role.WindowText, (230, 230, 230)),
                      (role.Base, (30, 30, 32)), (role.AlternateBase, (55, 55, 60)),
                      (role.Text, (235, 235, 235)), (role.PlaceholderText, (150, 150, 155)),
                      (role.Button, (55, 55, 60)), (role.ButtonText, (230, 230, 230)),
                      (role.ToolTipBase, (60, 60, 64)), (role.ToolTipText, (230, 230, 230)),
                      (role.BrightText, (255, 90, 90)), (role.Light, (80, 80, 86)),
                      (role.Midlight, (66, 66, 72)), (role.Mid, (95, 95, 100)), (role.Dark, (25, 25, 27)),
                      (role.Shadow, (10, 10, 10)), (role.Highlight, (53, 132, 228)),
                      (role.HighlightedText, (255, 255, 255)), (role.Link, (120, 170, 255))):
        p.setColor(r, QColor(*colour))
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, r, QColor(125, 125, 130))
    return p
