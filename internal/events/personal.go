package events

// Personal data in the log.
//
// A user's name, email and remark are personal data: the command layer seals them (encrypts them
// with a key of the user's customer, held outside the log) before they enter an event, and every
// reader that folds events opens them again. Destroying the customer's key erases them from the
// whole history at once, without changing a byte of the log: the events stay, their hashes and
// chains still verify, and the fields read as Erased. Customers, domains and exports are a
// business's data, not a person's, and stay readable.

// Erased is what a personal field reads as once its key was destroyed.
const Erased = "[erased]"

// PersonalFields are the JSON names of the fields MapPersonal visits, by event type.
var PersonalFields = map[string][]string{
	UserCreated: {"name", "email", "remark"},
	UserUpdated: {"name", "email", "remark", "personal.name", "personal.email", "personal.remark"},
}

// MapPersonal returns p with fn applied to each of its personal fields that holds a non-empty
// value (fn gets the field's JSON name and value, and returns the new value). Payloads without
// personal data come back unchanged, without calling fn.
func MapPersonal(p Payload, fn func(field, value string) (string, error)) (Payload, error) {
	str := func(field string, v *string) error {
		if *v == "" {
			return nil
		}
		out, err := fn(field, *v)
		if err == nil {
			*v = out
		}
		return err
	}
	opt := func(field string, v *Opt[string]) error {
		if !v.Set || v.Null {
			return nil
		}
		return str(field, &v.Value)
	}
	switch q := p.(type) {
	case UserCreatedV1:
		if err := firstErr(str("name", &q.Name), str("email", &q.Email), str("remark", &q.Remark)); err != nil {
			return nil, err
		}
		return q, nil
	case UserUpdatedV1:
		if err := firstErr(opt("name", &q.Name), opt("email", &q.Email), opt("remark", &q.Remark)); err != nil {
			return nil, err
		}
		if q.Personal != nil {
			r := *q.Personal
			if err := firstErr(str("personal.name", &r.Name), str("personal.email", &r.Email), str("personal.remark", &r.Remark)); err != nil {
				return nil, err
			}
			q.Personal = &r
		}
		return q, nil
	}
	return p, nil
}

// HasPersonal reports whether events of type eventType can hold personal data.
func HasPersonal(eventType string) bool {
	_, ok := PersonalFields[eventType]
	return ok
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
