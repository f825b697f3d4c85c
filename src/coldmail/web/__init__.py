"""The recipient's side over HTTP (`coldmail serve`): RFC 8058 one-click unsubscribe and the
recipient's page behind the links in our emails. Starlette and uvicorn; it imports the capability
packages (privacy, suppression, mail, contacts, store) and never cli/ or tui/."""
