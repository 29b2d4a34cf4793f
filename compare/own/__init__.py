"""A reader's own code: the contract, the exercise and its starter template. Imports the bottom layers."""
