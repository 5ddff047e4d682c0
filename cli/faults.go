package cli

import (
	"fmt"

	"github.com/chatumm/chatumm/model"
	"github.com/chatumm/chatumm/weights"
)

// Mapped weights can fault: a file truncated while chatumm runs loses the
// pages past its new end, and reading them is SIGBUS. The runtime makes
// such a read panic instead (debug.SetPanicOnFault, set for the whole
// command in Main and by the worker pool); this file turns that panic into
// one line naming the file. The chat REPL recovers it itself, to save the
// conversation before it exits.

// loadedModels are the models this process opened (openModel), so that a
// fault can be traced to the file it was read from.
var loadedModels []*model.Model

// faultError returns the error for a recovered panic value when it is a
// memory fault, naming the weights file whose mapping it hit where one of
// the loaded models knows it; for any other panic (a bug, to be reported
// with its stack) it returns nil.
func faultError(recovered any) error {
	if !weights.IsFault(recovered) {
		return nil
	}
	for _, m := range loadedModels {
		if m.Weights == nil {
			continue
		}
		if err := m.FaultError(recovered); err != nil {
			return err
		}
	}
	for _, m := range loadedModels {
		if err := weightsChanged(m); err != nil {
			return err
		}
	}
	return fmt.Errorf("memory fault reading a mapped file (was a weights file truncated or replaced while in use?): %v", recovered)
}

// weightsChanged reports a mapped weights file of m that was truncated or
// rewritten since it was loaded: its tensors are no longer what was
// validated, and reading them may fault.
func weightsChanged(m *model.Model) error {
	if m == nil || m.Weights == nil {
		return nil
	}
	return m.CheckIntact()
}
