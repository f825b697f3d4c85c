"""Campaigns and sending: campaigns (create, views, plan, schedule; pause and resume in one place:
`campaigns.pause`), sending windows (`windows`), claiming due messages (`claiming`) within the caps
(`caps`), recording outcomes (`recording`), the send loop (`sending`), the guards that pause a
campaign with a high bounce or complaint rate (`guards`), and statistics (`stats`)."""
