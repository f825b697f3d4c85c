"""Campaigns and sending: campaigns (create, pause and resume in one place: `campaigns`), planning
and sending windows, claiming due messages, the send loop, recording outcomes, the deliverability
guards, and statistics."""
