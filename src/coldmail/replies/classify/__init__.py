"""Reading one message: is it a bounce, a complaint, an automatic reply or a person, and what did
the person ask for? Pure functions over `email.message.Message`; no database."""
