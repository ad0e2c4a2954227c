"""What people do about the equipment: crews, work orders, SLA clocks, dispatch, KPIs."""
