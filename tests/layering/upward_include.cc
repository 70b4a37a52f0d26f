// Compiled against the model layer's include tree by the CTest test
// layers_refuse_upward_includes, which passes only if this fails to build:
// the model layer must not see the training layer above it.
#include "aligner/model/alignment_model.h"
#include "aligner/train/em_trainer.h"
