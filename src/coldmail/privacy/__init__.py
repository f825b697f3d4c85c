"""Answers to data subjects and the controller's records: "where did you get my data?" (`where`),
data-subject requests (`requests`: open, list, answer, extend; ONE answer path for the CLI and the
TUI), erasure, the Art. 15 export, retention, the Art. 14 notice and the Art. 30 record."""
