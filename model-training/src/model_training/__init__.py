"""Train, evaluate, gate, register and export the credit-risk default model."""
