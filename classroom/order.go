package classroom

import (
	"crypto/subtle"
	"slices"
	"strings"
)

func sortStudents(s []Student) {
	slices.SortFunc(s, func(a, b Student) int {
		if c := a.Joined.Compare(b.Joined); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

func sortRooms(r []*Room) {
	slices.SortFunc(r, func(a, b *Room) int { return b.Class().Created.Compare(a.Class().Created) })
}

// equalSecret compares secrets in constant time.
func equalSecret(a, b string) bool {
	return len(a) == len(b) && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
