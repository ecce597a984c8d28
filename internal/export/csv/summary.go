package csvexport

// Wording shared by the setting summaries.
const (
	partSep      = "; " // separates the parts of a summary
	itemSep      = ", " // separates the items of a list inside a part
	enabledText  = "enabled"
	disabledText = "disabled"
	noneText     = "none"
)

// appendPartSep appends partSep unless the summary that began at start is still empty.
func appendPartSep(b []byte, start int) []byte {
	if len(b) > start {
		return append(b, partSep...)
	}
	return b
}

// appendJoined appends items separated by itemSep.
func appendJoined(b []byte, items []string) []byte {
	for i, s := range items {
		if i > 0 {
			b = append(b, itemSep...)
		}
		b = append(b, s...)
	}
	return b
}

// onOff renders a switch as on or off.
func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
