"""The customer's side of the loyalty program in Oscar's account pages: "My bonuses"."""
