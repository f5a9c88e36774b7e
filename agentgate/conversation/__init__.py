"""Conversations: IDs in replies, per-conversation state, its store, and the turn logic."""
