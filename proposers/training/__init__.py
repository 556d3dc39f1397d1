"""What the learned proposers share: trainer, drift levers, weight cache, online updates."""
