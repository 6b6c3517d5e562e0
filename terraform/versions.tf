terraform {
  required_version = ">= 1.5.0"

  required_providers {
    # 6.8.0 added invoker_iam_disabled to google_cloud_run_v2_service (run.tf).
    google = {
      source  = "hashicorp/google"
      version = ">= 6.8.0, < 7.0.0"
    }
  }

  # State lives in a GCS bucket created once by hand (see README.md, step 2):
  #   terraform init -backend-config="bucket=<project>-tfstate"
  backend "gcs" {
    prefix = "cctv-serverless"
  }
}

provider "google" {
  project = var.project_id
  region  = var.region

  default_labels = {
    app        = "cctv"
    managed-by = "terraform"
  }
}
