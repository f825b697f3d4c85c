"""coldmail: B2B cold-email outreach with provenance, justification and opt-outs that stick."""

__version__ = "0.1.0"
