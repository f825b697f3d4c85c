"""The suppression list: keyed fingerprints, the register (suppress, undo, list) and the ONE oracle
for "is this address suppressed?" (`oracle`), whose fast paths for the import and the claim are
pinned to the plain answer by a property test."""
