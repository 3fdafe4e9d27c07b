"""members: cooperatives (tenants), people, contracts, activities."""
