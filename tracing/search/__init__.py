"""Search: registered and sought children found by names as the engine compares them."""
