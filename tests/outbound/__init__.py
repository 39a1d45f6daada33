"""What the gateway sends: 855/856/810, ERP payloads and delivery, dispatch, replies, control numbers."""
