"""Links between items: which ticket delivers which roadmap item, with history."""
