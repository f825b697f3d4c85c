"""The app's areas, one screen a file: `<area>_screen.py` holds `<Area>Screen`.

What the screens share (the area bar, the table-and-detail screen, the worker messages) lives in
`base.py`; dialogs live in `coldmail.tui.modals`, styles in `coldmail/tui/app.tcss`."""
