"""Prospect lists and the import: lists with their purpose and legitimate-interests assessment
(`lists`), reading CSV files (`csvfile`), validating rows (`rowreader`, also run as a second
process for big files) and writing them in bulk (`importing`)."""
