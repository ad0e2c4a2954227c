"""The contract's proof: each performance figure computed from raw data, with what it was made of."""
