"""Online booking by patients: the clinic's policy, slot holds, verified returning
patients, self-service links to a booked visit, and the wait list with its offers."""
