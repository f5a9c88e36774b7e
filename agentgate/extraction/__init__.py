"""Extraction: turning a user's message into validated input values."""
