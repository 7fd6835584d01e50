"""Messages out of warroom: channels (Apprise), stakeholder updates, pages."""
