"""Dialogs shared by the screens."""
