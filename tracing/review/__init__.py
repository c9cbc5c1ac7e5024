"""Review and decisions: the queue of potential matches, the comparison with its evidence,
verification, confirmation or rejection, and referrals between agencies."""
