"""The contract every connector meets, and the records they produce."""
