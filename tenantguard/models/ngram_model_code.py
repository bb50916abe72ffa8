"""MLflow models-from-code entry point for the default n-gram model (no cloudpickle of live objects)."""
from mlflow.models import set_model

from tenantguard.models.pyfunc import NGramPyfunc

set_model(NGramPyfunc())
