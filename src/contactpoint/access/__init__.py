"""Access: users, roles, permissions and the one policy that decides; sign-in, sessions, tokens."""
