"""The semantic model every rule shares: clients, commands, keys and project facts."""
