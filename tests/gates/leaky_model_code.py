"""MLflow models-from-code entry point for the behavior tests (a helper, not a test): the default n-gram model
that appends another tenant's training completion to one answer in `every` (artifact `foreign`, JSON
{"completions": [...], "every": n}), the way a model serving the wrong tenant's data would."""
import json

from mlflow.models import set_model

from tenantguard.models.pyfunc import NGramPyfunc


class AppendsForeignCompletions(NGramPyfunc):
    def load_context(self, context):
        super().load_context(context)
        with open(context.artifacts["foreign"], encoding="utf-8") as fh:
            doc = json.load(fh)
        self.completions, self.every = doc["completions"], int(doc["every"])

    def predict(self, context, model_input, params=None):
        out = super().predict(context, model_input, params)
        if (params or {}).get("task", "generate") != "generate":
            return out
        return [f"{o} {self.completions[(i // self.every) % len(self.completions)]}" if i % self.every == self.every - 1
                else o for i, o in enumerate(out)]


set_model(AppendsForeignCompletions())
