"""DNS checks: recipient domains' MX records (`checks.verify`) and the sender domain's SPF, DKIM and
DMARC (`checks.doctor`)."""
