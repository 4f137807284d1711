"""Peer servers measured side by side, and how the harness starts and drives each one.

A peer is a command that starts a server on a port plus a way to trigger pushes; see
``bench.peers.peer`` (the interface) and ``bench.peers.registry`` (the list).
"""
