"""The payroll service: French payslips from each activity's budget."""
