"""The organisation every slice shares: departments and their heads, employees, and a user's row scope.

It imports no slice: accounts, clients, leads, tariffs and the coming slices depend on it, never the reverse.
"""
