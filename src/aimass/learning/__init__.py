"""Learning from customers' feedback: a contextual bandit that re-ranks FAQ answers.

- ``bandit``: LinUCB / linear Thompson sampling over candidate features, capped exploration,
  logged propensities; ``GreedyPolicy`` is what gets promoted and served.
- ``ope``: IPS, SNIPS and doubly-robust off-policy estimates with bootstrap intervals, and
  the promotion gate.
- ``simulator``: simulated customers (noisy, delayed feedback, user types) from query -> gold
  FAQ sets.
- ``loop``: learn, evaluate off-policy, promote, measure online — in the simulator.
- ``serving``: the promoted policy as the runtime applies it: which FAQ a confident FAQ
  answer shows, with the propensity stored alongside the turn.
- ``feedback``: stored feedback (service database or JSONL export) -> logged turns.

Imports nothing heavy (numpy only); the database reader imports SQLAlchemy when called.
"""
