-- Officials list the tickets they opened (handbook.TicketFilter.CreatedBy).
CREATE INDEX tickets_created_by ON tickets (created_by);
