"""The Jobs and Customers lists. Each row joins customers, touchpoints, feedback and
insights (the next touch, the open incident, health and the delta), so these pages sit to
the right of insights in the import order (docs/architecture.md, docs/lists.md)."""
