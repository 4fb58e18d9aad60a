"""Generator of the redis-oxide command surface from Redis's command spec."""
