terraform {
  required_version = ">= 1.5.0"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.0.0, < 7.0.0"
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
