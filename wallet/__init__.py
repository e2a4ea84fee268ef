"""Wallet app: balances, prices and the append-only ledger."""
