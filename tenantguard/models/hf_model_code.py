"""MLflow models-from-code entry point for Hugging Face causal LMs (no cloudpickle of live objects)."""
from mlflow.models import set_model

from tenantguard.models.hf_pyfunc import HFPyfunc

set_model(HFPyfunc())
