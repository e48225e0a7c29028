"""Exercise checkers: students call these on their own solutions."""
